#!/usr/bin/env pwsh
# Windows/PowerShell twin of .ci/run: build, compile kernels when nvcc is present, run the README's test
# command and print "N passed, N failed, N skipped" from the TRX.
$ErrorActionPreference = 'Stop'
Set-Location $PSScriptRoot
$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'
if (Get-Command nvcc -ErrorAction SilentlyContinue) {
    cmake -S . -B build/kernels
    if ($LASTEXITCODE -ne 0) { exit 1 }
    cmake --build build/kernels
    if ($LASTEXITCODE -ne 0) { exit 1 }
}
Remove-Item -Recurse -Force TestResults -ErrorAction SilentlyContinue
dotnet test FastVideo.Native.sln -c Release
$status = $LASTEXITCODE
$trx = Get-ChildItem TestResults -Filter *.trx -ErrorAction SilentlyContinue | Select-Object -First 1
if (-not $trx) { Write-Output '0 passed, 1 failed, 0 skipped'; exit 1 }
[xml]$doc = Get-Content $trx.FullName
$c = $doc.TestRun.ResultSummary.Counters
$failed = [int]$c.failed + [int]$c.error
$skipped = [Math]::Max(0, [int]$c.total - [int]$c.passed - $failed)
# The reliability probe's own count (docs/RELIABILITY.md).
$probe = @($doc.TestRun.Results.UnitTestResult | Where-Object { $_.testName -like 'Probe(*' })
$pPassed = @($probe | Where-Object { $_.outcome -eq 'Passed' }).Count
$pFailed = @($probe | Where-Object { $_.outcome -in 'Failed', 'Error', 'Timeout', 'Aborted' }).Count
Write-Output "reliability probe: $($probe.Count) cases, $pPassed passed, $pFailed failed, $($probe.Count - $pPassed - $pFailed) skipped"
Write-Output "$($c.passed) passed, $failed failed, $skipped skipped"
if ($status -ne 0 -or $failed -gt 0) { exit 1 }
