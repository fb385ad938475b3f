import sys

from mailbot.cli import main

if __name__ == "__main__":  # not when a child process (multiprocessing spawn) imports it
    sys.exit(main())
