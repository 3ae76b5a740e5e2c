"""The pursuit game: blue pursuers chase orange evaders on a grid with walls."""
