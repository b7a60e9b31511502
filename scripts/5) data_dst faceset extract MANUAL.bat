@echo off
call "%~dp0env.bat"
"%DFL_PYTHON%" "%DFL_MAIN%" extract --input-dir "%DFL_WORKSPACE%\data_dst" --output-dir "%DFL_WORKSPACE%\data_dst\aligned" --detector manual --max-faces-from-image 0 --output-debug %*
pause
