@echo off
call "%~dp0env.bat"
"%DFL_PYTHON%" "%DFL_MAIN%" exportdfm --model-dir "%DFL_WORKSPACE%\model" --model AMP %*
pause
