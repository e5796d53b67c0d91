"""`python3 -m toasoan ...`: the `toasoan` command (the site is the current folder by default)."""

from .cli import console

if __name__ == "__main__":
    console()
