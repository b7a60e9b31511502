@echo off
rem Shared settings called by every launcher: repository root, workspace folder and the Python to run.
for %%I in ("%~dp0..") do set "DFL_ROOT=%%~fI"
if not defined DFL_WORKSPACE set "DFL_WORKSPACE=%DFL_ROOT%\workspace"
if not defined DFL_PYTHON (
  if exist "%DFL_ROOT%\.venv\Scripts\python.exe" (set "DFL_PYTHON=%DFL_ROOT%\.venv\Scripts\python.exe") else (set "DFL_PYTHON=python")
)
set "DFL_MAIN=%DFL_ROOT%\main.py"
