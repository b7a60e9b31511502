@echo off
call "%~dp0env.bat"
"%DFL_PYTHON%" "%DFL_MAIN%" util --input-dir "%DFL_WORKSPACE%\data_src\aligned" --unpack-faceset %*
pause
