@echo off
call "%~dp0env.bat"
"%DFL_PYTHON%" "%DFL_MAIN%" report --workspace-dir "%DFL_WORKSPACE%" --model-dir "%DFL_WORKSPACE%\model" %*
pause
