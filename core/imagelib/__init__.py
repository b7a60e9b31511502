"""Image maths shared by training, merging and sorting: colour transfer, random warps, augmentation filters."""
