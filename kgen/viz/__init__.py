"""Image grids and plots written as PNG files (Pillow only, no matplotlib)."""

from kgen.viz.grid import image_grid, save_image_grid
