"""Every figure nnscratch draws, and only here: matplotlib is imported by no module outside viz/.

Learning curves (``learning_curves``), image grids (``image_grid``), attention heat-maps
(``attention_map``), forecasts against the truth (``forecasts``), the experiments' panels
(``experiment_plots``), a CNN's filters and feature maps (``filters``); each saved atomically
(``figure_file``) with a Hangul font where text may be Korean (``fonts``). Matplotlib is
optional (``pip install 'nnscratch[plot]'``): these modules import it inside the function that
draws, so importing them never needs it.
"""
