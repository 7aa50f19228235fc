"""eduhouse run: materialize every asset for what is in the inbox."""
