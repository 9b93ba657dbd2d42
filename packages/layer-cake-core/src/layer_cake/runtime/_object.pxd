# Cython declarations for _object.py (pure-Python mode): compiled as Python, no C-level names.
# Its globals stay Python objects: tests and other modules read and patch them.
import cython
