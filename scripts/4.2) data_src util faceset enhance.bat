@echo off
call "%~dp0env.bat"
"%DFL_PYTHON%" "%DFL_MAIN%" facesettool enhance --input-dir "%DFL_WORKSPACE%\data_src\aligned" %*
pause
