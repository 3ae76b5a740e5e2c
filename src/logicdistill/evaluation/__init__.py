"""Running episodes and summarising them."""
