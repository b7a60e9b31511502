"""XSeg editor: draw include/exclude mask polygons on aligned faces (PyQt5); `main.py xseg editor` runs `app.run`."""
