@echo off
call "%~dp0env.bat"
"%DFL_PYTHON%" "%DFL_MAIN%" videoed denoise-image-sequence --input-dir "%DFL_WORKSPACE%\data_dst" %*
pause
