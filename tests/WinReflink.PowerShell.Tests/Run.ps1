# Runs the module's Pester specs and prints Pester's counts on one line (passed=N failed=N skipped=N)
# that tools/test adds to its own closing line.
# Exit code: 0 when every spec passed.
$ErrorActionPreference = 'Stop'
Import-Module Pester -RequiredVersion 6.2.0
$config = New-PesterConfiguration
$config.Run.Path = $PSScriptRoot
$config.Run.PassThru = $true
$config.Output.Verbosity = 'Detailed'
$result = Invoke-Pester -Configuration $config
# A block or file that fails before its tests run counts as a failure too.
$failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
"pester counts: passed=$($result.PassedCount) failed=$failed skipped=$($result.SkippedCount + $result.NotRunCount)"
if ($result.Result -ne 'Passed' -or $result.PassedCount -eq 0) { exit 1 }
exit 0
