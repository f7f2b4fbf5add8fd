"""The face crop every model input follows, shared by CelebA, synthetic faces and photos.

CelebA's aligned images are 178x218 with the eyes at (69,112) and (108,112), the
nose at (89,136) and the mouth corners at (71,152) and (106,152) (measured with
MTCNN on celeba_sample). The model sees a square crop of that frame: x in
[15, 163), y in [40, 188), 148 px a side, which keeps the whole face, the hair
line and a hat brim (hair and hat attributes need them) and drops most of the
neck. Landmarks below are in that crop, as fractions of its side.
"""

CELEBA_FRAME = (178, 218)  # width, height of img_align_celeba images
CROP_X, CROP_Y, CROP_SIZE = 15, 40, 148

_CELEBA_LANDMARKS = {
    "left_eye": (69, 112), "right_eye": (108, 112), "nose": (89, 136),
    "mouth_left": (71, 152), "mouth_right": (106, 152),
}

# name -> (x, y) as fractions of the square crop; "left" is the image's left.
LANDMARKS = {
    name: ((x - CROP_X) / CROP_SIZE, (y - CROP_Y) / CROP_SIZE)
    for name, (x, y) in _CELEBA_LANDMARKS.items()
}
