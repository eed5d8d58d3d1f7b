"""Progress: bars only on a terminal; a log gets a few plain lines; quiet prints nothing."""

import io

from nnscratch.train.progress import Progress


def simulate(progress, epochs=3, steps=500):
    for epoch in range(1, epochs + 1):
        progress.start_epoch(epoch, epochs, steps)
        for step in range(1, steps + 1):
            progress.advance()
            if step % 10 == 0:
                progress.show(step, 0.5, 1000.0)
        progress.end_epoch({"loss": 0.4, "accuracy": 0.9})
    progress.close()


def test_a_non_terminal_gets_a_line_per_log_point_and_per_epoch():
    stream = io.StringIO()  # not a TTY
    progress = Progress("auto", stream=stream)
    assert progress.mode == "plain"
    simulate(progress)  # 3 epochs of 500 steps, a log point every 10 steps
    lines = stream.getvalue().splitlines()
    assert len(lines) == 3 * (50 + 1) and "\r" not in stream.getvalue()
    assert lines[0] == "epoch 1/3  step 10  loss 0.5  samples/s 1000"
    epoch_lines = [line for line in lines if "val accuracy" in line]
    assert [line.split()[1] for line in epoch_lines] == ["1/3", "2/3", "3/3"]
    assert lines.index(epoch_lines[0]) == 50  # after the epoch's own 50 log lines


def test_long_epochs_in_a_log_print_a_line_now_and_then():
    stream = io.StringIO()
    progress = Progress("plain", stream=stream, plain_interval=0.0)
    progress.start_epoch(1, None, None)
    for step in range(5):
        progress.show(step, 1.0, 10.0)
    assert len(stream.getvalue().splitlines()) == 5


def test_quiet_prints_nothing():
    stream = io.StringIO()
    progress = Progress("off", stream=stream)
    simulate(progress)
    progress.message("hello")
    assert stream.getvalue() == ""


def test_bar_mode_draws_a_tqdm_bar():
    stream = io.StringIO()
    simulate(Progress("bar", stream=stream), epochs=1, steps=20)
    text = stream.getvalue()
    assert "epoch 1/1" in text and "20/20" in text
