@echo off
call "%~dp0env.bat"
"%DFL_PYTHON%" "%DFL_MAIN%" videoed video-from-sequence --input-dir "%DFL_WORKSPACE%\data_dst\merged" --output-file "%DFL_WORKSPACE%\result.mov" --reference-file "%DFL_WORKSPACE%\data_dst.*" --include-audio --lossless --alpha --mask-dir "%DFL_WORKSPACE%\data_dst\merged_mask" %*
pause
