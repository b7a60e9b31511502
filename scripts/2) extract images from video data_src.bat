@echo off
call "%~dp0env.bat"
"%DFL_PYTHON%" "%DFL_MAIN%" videoed extract-video --input-file "%DFL_WORKSPACE%\data_src.*" --output-dir "%DFL_WORKSPACE%\data_src" %*
pause
