@echo off
call "%~dp0env.bat"
"%DFL_PYTHON%" "%DFL_MAIN%" videoed extract-video --input-file "%DFL_WORKSPACE%\data_dst.*" --output-dir "%DFL_WORKSPACE%\data_dst" --fps 0 %*
pause
