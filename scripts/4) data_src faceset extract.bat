@echo off
call "%~dp0env.bat"
"%DFL_PYTHON%" "%DFL_MAIN%" extract --input-dir "%DFL_WORKSPACE%\data_src" --output-dir "%DFL_WORKSPACE%\data_src\aligned" %*
pause
