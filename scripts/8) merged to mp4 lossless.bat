@echo off
call "%~dp0env.bat"
"%DFL_PYTHON%" "%DFL_MAIN%" videoed video-from-sequence --input-dir "%DFL_WORKSPACE%\data_dst\merged" --output-file "%DFL_WORKSPACE%\result.mp4" --reference-file "%DFL_WORKSPACE%\data_dst.*" --include-audio --lossless %*
"%DFL_PYTHON%" "%DFL_MAIN%" videoed video-from-sequence --input-dir "%DFL_WORKSPACE%\data_dst\merged_mask" --output-file "%DFL_WORKSPACE%\result_mask.mp4" --reference-file "%DFL_WORKSPACE%\data_dst.*" --lossless %*
pause
