"""Outbreak detection methods, framework-free (no Django), vectorised with numpy/scipy.
Parameter names and defaults follow R 'surveillance' 1.20 so a configuration moves over
unchanged."""
