"""process layer of layer_cake (private; the public API is layer_cake.__all__)."""
