#!/usr/bin/env pwsh
# Windows/PowerShell twin of .ci/run: build, compile kernels when nvcc is present, on Linux with
# scripts/build-cuda-emulator.sh run the Gpu tests on the emulated CUDA device (docs/GPU.md), run the README's test
# command and print "N passed, N failed, N skipped" from the TRX files (an emulated test counts once).
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
function Get-Kind([string]$outcome) { if ($outcome -eq 'Passed') { 'p' } elseif ($outcome -in 'Failed', 'Error', 'Timeout', 'Aborted') { 'f' } else { 's' } }
$gpuKinds = $null
$gpuStatus = 0
if ($IsLinux -and (Test-Path scripts/build-cuda-emulator.sh)) {
    $emuOut = @(bash scripts/build-cuda-emulator.sh)
    $emuOut | ForEach-Object { Write-Output $_ }
    $emu = if ($emuOut.Count -gt 0) { "$($emuOut[-1])".Trim() } else { '' }
    if ($LASTEXITCODE -ne 0 -or -not $emu -or -not (Test-Path $emu -PathType Container)) {
        Write-Output 'building the CUDA emulator failed'; Write-Output '0 passed, 1 failed, 0 skipped'; exit 1
    }
    dotnet build FastVideo.Native.sln -c Release
    if ($LASTEXITCODE -ne 0) { Write-Output '0 passed, 1 failed, 0 skipped'; exit 1 }
    $env:FASTVIDEO_CUDA_EMULATOR = (Resolve-Path $emu).Path
    dotnet test FastVideo.Native.sln -c Release --no-build --filter "TestCategory=Gpu" --results-directory TestResults/gpu
    $gpuStatus = $LASTEXITCODE
    Remove-Item Env:FASTVIDEO_CUDA_EMULATOR
    $gtrx = Get-ChildItem TestResults/gpu -Filter *.trx -ErrorAction SilentlyContinue | Select-Object -First 1
    if (-not $gtrx) { Write-Output 'emulated GPU tests: 0 passed, 1 failed, 0 skipped'; $gpuStatus = 1 }
    else {
        [xml]$gdoc = Get-Content $gtrx.FullName
        $gpuKinds = @{}
        foreach ($r in $gdoc.TestRun.Results.UnitTestResult) { $gpuKinds[$r.testId] = Get-Kind $r.outcome }
        $gp = @($gpuKinds.Values | Where-Object { $_ -eq 'p' }).Count
        $gf = @($gpuKinds.Values | Where-Object { $_ -eq 'f' }).Count
        Write-Output "emulated GPU tests: $gp passed, $gf failed, $($gpuKinds.Count - $gp - $gf) skipped"
        if ($gf -gt 0 -or $gp -eq 0) { $gpuStatus = 1 }
    }
}
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
$passed = [int]$c.passed
if ($gpuKinds) {
    # A test skipped here and executed on the emulated device counts once, with the emulated outcome.
    $seen = @{}
    foreach ($r in $doc.TestRun.Results.UnitTestResult) {
        if (-not $gpuKinds.ContainsKey($r.testId)) { continue }
        $seen[$r.testId] = $true
        $m = Get-Kind $r.outcome; $e = $gpuKinds[$r.testId]
        if ($m -eq 's' -and $e -ne 's') { $skipped--; if ($e -eq 'p') { $passed++ } else { $failed++ } }
        elseif ($m -eq 'p' -and $e -eq 'f') { $passed--; $failed++ }
    }
    foreach ($id in $gpuKinds.Keys) {
        if ($seen.ContainsKey($id)) { continue }
        switch ($gpuKinds[$id]) { 'p' { $passed++ } 'f' { $failed++ } default { $skipped++ } }
    }
}
Write-Output "$passed passed, $failed failed, $skipped skipped"
if ($status -ne 0 -or $gpuStatus -ne 0 -or $failed -gt 0) { exit 1 }
