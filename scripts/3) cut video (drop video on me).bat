@echo off
call "%~dp0env.bat"
"%DFL_PYTHON%" "%DFL_MAIN%" videoed cut-video --input-file "%~1"
pause
