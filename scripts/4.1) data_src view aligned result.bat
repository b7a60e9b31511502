@echo off
call "%~dp0env.bat"
"%DFL_PYTHON%" "%DFL_MAIN%" view --input-dir "%DFL_WORKSPACE%\data_src\aligned" %*
pause
