"""The LD decision loop, its selectors and the agents built from them."""
