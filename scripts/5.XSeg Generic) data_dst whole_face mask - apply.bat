@echo off
call "%~dp0env.bat"
"%DFL_PYTHON%" "%DFL_MAIN%" xseg apply --input-dir "%DFL_WORKSPACE%\data_dst\aligned" --model-dir "%DFL_ROOT%\_internal\model_generic_xseg" %*
pause
