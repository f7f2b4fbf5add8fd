"""Keras models: the identity-initialised generator, the discriminator, the GAN."""
