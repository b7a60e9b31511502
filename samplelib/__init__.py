"""Training samples: loading aligned faces, and batch generators that feed the models (reference §6).

Modules: `Sample` / `PackedFaceset` (the sample record and faceset.pak), `SampleLoader` (folder or faceset.pak,
cached), `IndexHost` (shuffled cycles, uniform-yaw bins), `SampleProcessor` (one sample -> output arrays),
`SampleGeneratorBase` (worker processes with prefetch), `SampleGeneratorFace` (SAEHD / Quick96 / AMP),
`SampleGeneratorFaceXSeg` (XSeg training).

Using the generators from a model (SAEHD outputs; Quick96 is the same at res 96, face type FULL, flips off):

    from facelib.FaceType import FaceType
    from samplelib.SampleGeneratorFace import SampleGeneratorFace
    from samplelib.SampleProcessor import ChannelType, FaceMaskType, Options, SampleType

    def outputs(ct_mode=None, hsv=0.0):   # ct_mode: None or 'rct' 'lct' 'mkl' 'idt' 'sot' (src side only)
        common = dict(face_type=FaceType.WHOLE_FACE, resolution=128, data_format="NHWC")  # NCHW on GPU
        return [
            dict(sample_type=SampleType.FACE_IMAGE, warp=True, transform=True, channel_type=ChannelType.BGR,
                 ct_mode=ct_mode, random_hsv_shift_amount=hsv, **common),           # warped input
            dict(sample_type=SampleType.FACE_IMAGE, warp=False, transform=True, channel_type=ChannelType.BGR,
                 ct_mode=ct_mode, **common),                                          # target
            dict(sample_type=SampleType.FACE_MASK, warp=False, transform=True, channel_type=ChannelType.G,
                 face_mask_type=FaceMaskType.FULL_FACE, **common),                    # target mask
            dict(sample_type=SampleType.FACE_MASK, warp=False, transform=True, channel_type=ChannelType.G,
                 face_mask_type=FaceMaskType.EYES_MOUTH, **common),                   # eyes+mouth mask
        ]

    src_gen = SampleGeneratorFace("workspace/data_src/aligned", batch_size=8,
                                  random_ct_samples_path="workspace/data_dst/aligned" if ct_mode else None,
                                  sample_process_options=Options(random_flip=False, scale_range=(-0.15, 0.15)),
                                  output_sample_types=outputs(ct_mode, random_hsv_power),
                                  uniform_yaw_distribution=uniform_yaw, generators_count=workers)
    dst_gen = SampleGeneratorFace("workspace/data_dst/aligned", batch_size=8,
                                  sample_process_options=Options(random_flip=True, scale_range=(-0.15, 0.15)),
                                  output_sample_types=outputs(), uniform_yaw_distribution=uniform_yaw,
                                  generators_count=workers)
    warped_src, target_src, target_srcm, target_srcm_em = next(src_gen)   # float32, (8,128,128,3|1), 0..1
    ...
    src_gen.close(); dst_gen.close()     # also done on garbage collection / exit

XSeg: `SampleGeneratorFaceXSeg([src_aligned, dst_aligned], face_type=FaceType.WHOLE_FACE, batch_size=4,
resolution=256, generators_count=workers)`; `images, masks = next(gen)` ((N,256,256,3), (N,256,256,1) of 0/1).

Notes: put `ct_mode` on both src image outputs (the warped input and the target get the same recolouring);
`warp=random_warp` on the first output only; `debug=True` or `generators_count=0` builds batches in the calling
thread; `seed=` fixes the batch sequence (same batches for any worker count). A missing or empty folder, a corrupt
face during training, or a dead worker raise a one-line UserError. `next(gen)` == `gen.generate_next()`.
"""
