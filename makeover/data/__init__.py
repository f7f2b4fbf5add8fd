"""Data sets: CelebA on disk and the built-in synthetic faces."""
