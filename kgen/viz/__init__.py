"""Image grids and plots written as PNG files (Pillow only, no matplotlib)."""

from kgen.viz.grid import (
    image_grid,
    save_image_grid,
    save_interpolation_strip,
    save_traversal_grid,
)
from kgen.viz.lines import line_plot_image, save_line_plot_png
from kgen.viz.model_pictures import (
    active_latent_dims,
    class_grid_conditions,
    sampling_options,
    save_model_pictures,
)
from kgen.viz.scatter import PALETTE, save_scatter_png, scatter_image
