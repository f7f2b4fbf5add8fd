"""makeover: edit faces from plain-language attributes, draw faces from text.

Heavy modules (TensorFlow, Keras) are imported lazily by the code that needs
them, so that `python dm_main.py --help` answers at once.
"""

__version__ = "0.1.0"
