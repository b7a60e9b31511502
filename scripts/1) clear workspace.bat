@echo off
call "%~dp0env.bat"
"%DFL_PYTHON%" "%DFL_MAIN%" workspace clear --workspace-dir "%DFL_WORKSPACE%" %*
pause
