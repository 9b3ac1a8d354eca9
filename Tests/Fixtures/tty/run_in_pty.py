"""Runs a command on a pseudo-terminal of a given size and copies everything it writes there.

  run_in_pty.py --cols 100 --rows 30 [--stderr FILE] [--interrupt-after TEXT] -- COMMAND [ARG...]

The command's standard input, output and error (unless --stderr sends it to FILE) are the terminal (so `isatty` is true and
TIOCGWINSZ says COLS x ROWS). Its output, escape sequences and all, is written to our standard
output as it arrives; we exit with the command's exit status (128 + N for a signal). With
--interrupt-after, the command gets SIGINT (as from Ctrl-C) once TEXT has appeared in its output.
"""

import argparse
import fcntl
import os
import pty
import struct
import sys
import termios


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cols", type=int, default=100)
    parser.add_argument("--rows", type=int, default=30)
    parser.add_argument("--stderr")
    parser.add_argument("--interrupt-after")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    # The size is set before the command starts, so its first look at the terminal sees it.
    fd, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", args.rows, args.cols, 0, 0))
    pid = os.fork()
    if pid == 0:
        os.close(fd)
        os.setsid()
        fcntl.ioctl(child, termios.TIOCSCTTY, 0)
        for target in (0, 1, 2):
            os.dup2(child, target)
        if child > 2:
            os.close(child)
        if args.stderr:
            os.dup2(os.open(args.stderr, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), 2)
        os.execvp(command[0], command)
    os.close(child)
    out = sys.stdout.buffer
    seen = b""
    trigger = args.interrupt_after.encode() if args.interrupt_after else None
    while True:
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        if not data:
            break
        out.write(data)
        out.flush()
        if trigger:
            seen = (seen + data)[-65536:]
            if trigger in seen:
                trigger = None
                os.kill(pid, 2)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        sys.exit(128 + os.WTERMSIG(status))
    sys.exit(os.WEXITSTATUS(status))


if __name__ == "__main__":
    main()
