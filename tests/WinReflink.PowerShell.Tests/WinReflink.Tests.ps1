# The WinReflink module against real FUSE mounts (Linux, as root or with fusermount3).
BeforeAll {
    $repo = (Resolve-Path "$PSScriptRoot/../..").Path
    $module = $env:WINREFLINK_MODULE
    if (-not $module) {
        $module = @("$repo/artifacts/module/WinReflink/WinReflink.psd1", "$repo/src/WinReflink.PowerShell/bin/Release/net10.0/WinReflink.psd1") |
            Where-Object { Test-Path $_ } | Select-Object -First 1
    }
    if (-not $module) { throw 'The WinReflink module is not built: run tools/package or dotnet build src/WinReflink.PowerShell -c Release' }
    $cli = "$repo/src/WinReflink.Cli/bin/Release/net10.0"
    if (-not (Test-Path "$cli/winreflink")) { throw "winreflink is not built in ${cli}: run dotnet build src/WinReflink.Cli -c Release" }
    if (-not (Get-Command fusermount3 -ErrorAction Ignore)) { throw 'fusermount3 is missing: install fuse3 (tools/deps)' }
    $env:PATH = "$cli$([IO.Path]::PathSeparator)$env:PATH"
    Import-Module $module -Force

    $root = Join-Path ([IO.Path]::GetTempPath()) "wrl-pester-$([Guid]::NewGuid().ToString('N'))"
    New-Item -ItemType Directory $root | Out-Null
    $volA = "$root/a.wrl"; $volB = "$root/b.wrl"
    $mntA = "$root/mnt-a"; $mntB = "$root/mnt-b"
    New-Item -ItemType Directory $mntA, $mntB | Out-Null
    New-ReflinkVolume -Path $volA -Size 256MB -Label alpha | Out-Null
    New-ReflinkVolume -Path $volB -Size 256MB -Label beta | Out-Null
    $script:mountedA = Mount-ReflinkVolume -Path $volA -MountPoint $mntA
    # A small metadata budget for one of the two: the tests on B run with inodes dropped and read again.
    Mount-ReflinkVolume -Path $volB -MountPoint $mntB -MetadataCacheSize 64KB | Out-Null

    New-Item -ItemType Directory "$mntA/tree/sub" -Force | Out-Null
    $bytes = [byte[]]::new(256KB); (New-Object Random 7).NextBytes($bytes)
    [IO.File]::WriteAllBytes("$mntA/tree/big.bin", $bytes)
    [IO.File]::WriteAllText("$mntA/tree/sub/note.txt", 'hello')
    [IO.File]::WriteAllText("$mntA/tree/sub/other.txt", 'world')
}

AfterAll {
    foreach ($m in @($mntA, $mntB)) {
        if ($m -and (Get-ReflinkVolume -ErrorAction Ignore | Where-Object MountPoint -eq $m)) { Dismount-ReflinkVolume -MountPoint $m -ErrorAction Continue }
    }
    if ($root) { Remove-Item -Recurse -Force $root -ErrorAction Ignore }
}

Describe 'The module' {
    It 'exports the seven cmdlets with the project version' {
        $m = Get-Module WinReflink
        $m.ExportedCmdlets.Keys | Sort-Object | Should -Be @('Copy-ReflinkItem', 'Dismount-ReflinkVolume', 'Get-ReflinkExtent', 'Get-ReflinkVolume', 'Mount-ReflinkVolume', 'New-ReflinkVolume', 'Test-ReflinkVolume')
        $version = ([xml](Get-Content "$repo/Directory.Build.props")).Project.PropertyGroup.Version | Where-Object { $_ } | Select-Object -First 1
        $m.Version.ToString(3) | Should -Be $version
    }

    It 'has help with a synopsis and an example for <_>' -ForEach @('Copy-ReflinkItem', 'Dismount-ReflinkVolume', 'Get-ReflinkExtent', 'Get-ReflinkVolume', 'Mount-ReflinkVolume', 'New-ReflinkVolume', 'Test-ReflinkVolume') {
        $help = Get-Help $_ -Full
        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Synopsis | Should -Not -Match '^\s*Copy-ReflinkItem \[|^\s*\w+-\w+ \['
        @($help.Examples.Example).Count | Should -BeGreaterThan 0
    }

    It 'has about_WinReflink' {
        (Get-Help about_WinReflink | Out-String) | Should -Match 'Copy-ReflinkItem'
    }
}

Describe 'Get-ReflinkVolume' {
    It 'returns every mounted volume with no argument' {
        $all = Get-ReflinkVolume
        $all.MountPoint | Should -Contain $mntA
        $all.MountPoint | Should -Contain $mntB
        ($all | Where-Object MountPoint -eq $mntA).VolumePath | Should -Be $volA
    }

    It 'returns typed figures by mount point and by path' {
        $v = Get-ReflinkVolume -MountPoint $mntA
        $v.GetType().Name | Should -Be 'ReflinkVolume'
        $v.Label | Should -Be 'alpha'
        $v.Capacity | Should -Be 256MB
        $v.Used + $v.Free | Should -Be $v.Capacity
        $v.Files | Should -BeGreaterOrEqual 3
        (Get-ReflinkVolume -Path "$mntA/tree/big.bin").MountPoint | Should -Be $mntA
        $mountedA.MountPoint | Should -Be $mntA
    }

    It 'writes an error record for a missing path and for a path off any mount' {
        Get-ReflinkVolume -Path "$mntA/nothing-here" -ErrorVariable e -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $e[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        Get-ReflinkVolume -Path $root -ErrorVariable e2 -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $e2[0].Exception.Message | Should -Match 'not on a mounted WinReflink volume'
    }

    It 'reports a copy made by reading and writing as recognized, taking no space' {
        $bytes = [byte[]]::new(1MB); (New-Object Random 21).NextBytes($bytes)
        $s = [IO.File]::Create("$mntA/recognized-src.bin"); try { $s.Write($bytes, 0, $bytes.Length); $s.Flush($true) } finally { $s.Dispose() }
        $before = Get-ReflinkVolume -MountPoint $mntA
        $in = [IO.File]::OpenRead("$mntA/recognized-src.bin"); $out = [IO.File]::Create("$mntA/recognized-copy.bin")
        try { $in.CopyTo($out) } finally { $in.Dispose(); $out.Dispose() }
        $after = Get-ReflinkVolume -MountPoint $mntA
        ($after.Recognized - $before.Recognized) | Should -Be 1MB
        $after.Used | Should -Be $before.Used
        (Get-FileHash "$mntA/recognized-copy.bin").Hash | Should -Be (Get-FileHash "$mntA/recognized-src.bin").Hash
    }

    It 'formats as a table like Get-Volume' {
        $text = Get-ReflinkVolume -MountPoint $mntA | Out-String -Width 250
        $text | Should -Match 'MountPoint\s+Label\s+Files\s+Shared\s+Saved\s+SizeRemaining\s+Size'
        $text | Should -Match '256 MB'
    }
}

Describe 'Copy-ReflinkItem' {
    It 'clones a file: same bytes, shared extents, no new space' {
        $before = Get-ReflinkVolume -MountPoint $mntA
        $copy = Copy-ReflinkItem -Path "$mntA/tree/big.bin" -Destination "$mntA/big-copy.bin" -PassThru
        $copy.FullName | Should -Be "$mntA/big-copy.bin"
        (Get-FileHash "$mntA/big-copy.bin").Hash | Should -Be (Get-FileHash "$mntA/tree/big.bin").Hash
        $after = Get-ReflinkVolume -MountPoint $mntA
        $after.Used | Should -Be $before.Used
        $after.Saved | Should -BeGreaterThan $before.Saved
        Get-ReflinkExtent -Path "$mntA/big-copy.bin" | ForEach-Object { $_.ShareCount | Should -BeGreaterOrEqual 2 }
    }

    It 'copies a tree with -Recurse' {
        Copy-ReflinkItem -Path "$mntA/tree" -Destination "$mntA/tree-copy" -Recurse
        (Get-ChildItem "$mntA/tree-copy" -Recurse -File).Count | Should -Be 3
        Get-Content "$mntA/tree-copy/sub/note.txt" | Should -Be 'hello'
    }

    It 'takes Get-ChildItem -Recurse from the pipeline' {
        New-Item -ItemType Directory "$mntA/flat" | Out-Null
        Get-ChildItem "$mntA/tree" -Recurse -File | Copy-ReflinkItem -Destination "$mntA/flat"
        (Get-ChildItem "$mntA/flat").Name | Sort-Object | Should -Be @('big.bin', 'note.txt', 'other.txt')
    }

    It 'expands wildcards in -Path and not in -LiteralPath' {
        New-Item -ItemType Directory "$mntA/wild" | Out-Null
        Copy-ReflinkItem -Path "$mntA/tree/sub/*.txt" -Destination "$mntA/wild"
        (Get-ChildItem "$mntA/wild").Count | Should -Be 2
        Copy-ReflinkItem -LiteralPath "$mntA/tree/sub/*.txt" -Destination "$mntA/wild" -ErrorVariable e -ErrorAction SilentlyContinue
        $e[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'changes nothing with -WhatIf' {
        $before = Get-ReflinkVolume -MountPoint $mntA
        Copy-ReflinkItem -Path "$mntA/tree" -Destination "$mntA/whatif" -Recurse -WhatIf
        Copy-ReflinkItem -Path "$mntA/tree/big.bin" -Destination "$mntA/whatif.bin" -WhatIf
        Test-Path "$mntA/whatif" | Should -BeFalse
        Test-Path "$mntA/whatif.bin" | Should -BeFalse
        (Get-ReflinkVolume -MountPoint $mntA).Files | Should -Be $before.Files
    }

    It 'refuses an existing destination without -Force and replaces it with -Force' {
        [IO.File]::WriteAllText("$mntA/exists.txt", 'old')
        Copy-ReflinkItem -Path "$mntA/tree/sub/note.txt" -Destination "$mntA/exists.txt" -ErrorVariable e -ErrorAction SilentlyContinue
        $e[0].CategoryInfo.Category | Should -Be 'ResourceExists'
        Get-Content "$mntA/exists.txt" | Should -Be 'old'
        Copy-ReflinkItem -Path "$mntA/tree/sub/note.txt" -Destination "$mntA/exists.txt" -Force
        Get-Content "$mntA/exists.txt" | Should -Be 'hello'
    }

    It 'writes an error record for a missing source' {
        Copy-ReflinkItem -Path "$mntA/no-such-file" -Destination "$mntA/x" -ErrorVariable e -ErrorAction SilentlyContinue
        $e[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        Test-Path "$mntA/x" | Should -BeFalse
    }

    It 'refuses to copy across volumes and onto another filesystem, leaving nothing behind' {
        Copy-ReflinkItem -Path "$mntA/tree/big.bin" -Destination "$mntB/big.bin" -ErrorVariable e -ErrorAction SilentlyContinue
        $e[0].CategoryInfo.Category | Should -Be 'InvalidOperation'
        $e[0].Exception.Message | Should -Match 'not on the same WinReflink volume'
        @(Get-ChildItem -Force $mntB).Count | Should -Be 0
        Copy-ReflinkItem -Path "$mntA/tree/big.bin" -Destination "$root/plain.bin" -ErrorVariable e2 -ErrorAction SilentlyContinue
        $e2[0].CategoryInfo.Category | Should -Be 'InvalidOperation'
        Test-Path "$root/plain.bin" | Should -BeFalse
    }

    It 'copies plainly across volumes with -Fallback' {
        Copy-ReflinkItem -Path "$mntA/tree/big.bin" -Destination "$mntB/big.bin" -Fallback
        (Get-FileHash "$mntB/big.bin").Hash | Should -Be (Get-FileHash "$mntA/tree/big.bin").Hash
    }

    It 'writes one error record per failing file of a tree and copies the rest' {
        New-Item -ItemType Directory "$mntA/partial/sub" -Force | Out-Null
        [IO.File]::WriteAllText("$mntA/partial/sub/note.txt", 'keep')
        Copy-ReflinkItem -Path "$mntA/tree" -Destination "$mntA/partial" -Recurse -ErrorVariable e -ErrorAction SilentlyContinue
        # "partial" exists, so the tree goes into it as partial/tree.
        (Get-ChildItem "$mntA/partial/tree" -Recurse -File).Count | Should -Be 3
        $e.Count | Should -Be 0
        Copy-ReflinkItem -Path "$mntA/tree/sub" -Destination "$mntA/partial" -Recurse -ErrorVariable e2 -ErrorAction SilentlyContinue
        $e2.Count | Should -Be 1
        $e2[0].CategoryInfo.Category | Should -Be 'ResourceExists'
        Get-Content "$mntA/partial/sub/note.txt" | Should -Be 'keep'
        Get-Content "$mntA/partial/sub/other.txt" | Should -Be 'world'
        @(Get-ChildItem -Force "$mntA/partial/sub" -Filter '*.reflink-tmp').Count | Should -Be 0
    }
}

Describe 'Copy-ReflinkItem -Confirm' {
    BeforeAll {
        Add-Type -Path "$PSScriptRoot/AnsweringHost.cs"
        # One runspace per call, with a host that answers every confirmation prompt with $Answer.
        function Invoke-Answering([string] $Answer, [string] $Script) {
            $answering = [WinReflink.Specs.AnsweringHost]::new($Answer)
            $runspace = [runspacefactory]::CreateRunspace($answering)
            $runspace.Open()
            try {
                $ps = [powershell]::Create()
                $ps.Runspace = $runspace
                $null = $ps.AddScript("Import-Module '$module'; $Script").Invoke()
                [pscustomobject]@{ Prompts = $answering.Prompts; Errors = @($ps.Streams.Error) }
            }
            finally { $runspace.Dispose() }
        }
    }

    It 'copies nothing when the confirmation is declined' {
        $r = Invoke-Answering 'No' "Copy-ReflinkItem -Path '$mntA/tree/big.bin' -Destination '$mntA/declined.bin' -Confirm"
        $r.Prompts.Count | Should -Be 1
        $r.Prompts[0] | Should -Match 'declined\.bin'
        $r.Errors | Should -BeNullOrEmpty
        Test-Path "$mntA/declined.bin" | Should -BeFalse
        @(Get-ChildItem -Force $mntA -Filter '*.reflink-tmp').Count | Should -Be 0
    }

    It 'copies a whole tree, one prompt per item, when every confirmation is accepted' {
        $r = Invoke-Answering 'Yes' "Copy-ReflinkItem -Path '$mntA/tree' -Destination '$mntA/accepted' -Recurse -Confirm"
        # The tree's two folders and three files.
        $r.Prompts.Count | Should -Be 5
        (Get-ChildItem "$mntA/accepted" -Recurse -File).Count | Should -Be 3
    }

    It 'asks under $ConfirmPreference = Low, and a declined tree leaves nothing' {
        $r = Invoke-Answering 'No to All' "`$ConfirmPreference = 'Low'; Copy-ReflinkItem -Path '$mntA/tree' -Destination '$mntA/low' -Recurse"
        $r.Prompts.Count | Should -Be 1
        Test-Path "$mntA/low" | Should -BeFalse
    }

    It 'copies without asking with -Confirm:$false even under $ConfirmPreference = Low' {
        $r = Invoke-Answering 'No' "`$ConfirmPreference = 'Low'; Copy-ReflinkItem -Path '$mntA/tree/big.bin' -Destination '$mntA/unasked.bin' -Confirm:`$false"
        $r.Prompts.Count | Should -Be 0
        (Get-FileHash "$mntA/unasked.bin").Hash | Should -Be (Get-FileHash "$mntA/tree/big.bin").Hash
    }
}

Describe 'Copy-ReflinkItem progress' {
    It 'writes a progress record per file of a tree and a completed one' {
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript("Import-Module '$module'; Copy-ReflinkItem -Path '$mntA/tree' -Destination '$mntA/progress' -Recurse").Invoke()
            $ps.Streams.Error | Should -BeNullOrEmpty
            $records = @($ps.Streams.Progress | Where-Object Activity -eq 'Copy-ReflinkItem')
        }
        finally { $ps.Dispose() }
        $running = @($records | Where-Object RecordType -eq 'Processing')
        $running.Count | Should -Be 3
        $running.PercentComplete | Should -Be @(0, 33, 66)
        $running[0].StatusDescription | Should -Be '0 of 3 files'
        ($running.CurrentOperation | Sort-Object) | Should -Be (@("$mntA/tree/big.bin", "$mntA/tree/sub/note.txt", "$mntA/tree/sub/other.txt") | Sort-Object)
        $records[-1].RecordType | Should -Be 'Completed'
        (Get-ChildItem "$mntA/progress" -Recurse -File).Count | Should -Be 3
    }

    It 'writes no progress for a single file' {
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript("Import-Module '$module'; Copy-ReflinkItem -Path '$mntA/tree/big.bin' -Destination '$mntA/single.bin'").Invoke()
            @($ps.Streams.Progress | Where-Object Activity -eq 'Copy-ReflinkItem').Count | Should -Be 0
        }
        finally { $ps.Dispose() }
        Test-Path "$mntA/single.bin" | Should -BeTrue
    }
}

Describe 'Get-ReflinkExtent' {
    It 'writes one object per extent, from Get-ChildItem' {
        $extents = Get-ChildItem "$mntA/tree" -Recurse -File | Get-ReflinkExtent
        $extents.Count | Should -BeGreaterOrEqual 3
        $big = $extents | Where-Object Path -eq "$mntA/tree/big.bin"
        ($big | Measure-Object Length -Sum).Sum | Should -Be 256KB
        $big[0].LogicalOffset | Should -Be 0
    }

    It 'writes an error record for a missing file' {
        Get-ReflinkExtent -Path "$mntA/missing" -ErrorVariable e -ErrorAction SilentlyContinue
        $e[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }
}

Describe 'Mount-ReflinkVolume errors' {
    It 'is an error record with the reason when the mount fails' {
        Mount-ReflinkVolume -Path "$root/c.wrl" -MountPoint "$root/no-such-dir" -ErrorVariable e -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $e[0].CategoryInfo.Category | Should -Be 'OpenError'
        $e[0].Exception.Message | Should -Match 'no-such-dir'
    }
}

Describe 'Dismount-ReflinkVolume and Test-ReflinkVolume' {
    It 'dismounts from the pipeline and the volumes check clean' {
        Get-ReflinkVolume | Where-Object { $_.MountPoint -in @($mntA, $mntB) } | Dismount-ReflinkVolume
        Get-ReflinkVolume | Where-Object { $_.MountPoint -in @($mntA, $mntB) } | Should -BeNullOrEmpty
        Test-ReflinkVolume -Path $volA -Quiet | Should -BeTrue
        Test-ReflinkVolume -Path $volB | Should -BeNullOrEmpty
    }

    It 'mounts read-only and dismounts by mount point' {
        $v = Mount-ReflinkVolume -Path $volA -MountPoint $mntA -ReadOnly
        $v.Files | Should -BeGreaterThan 3
        { [IO.File]::WriteAllText("$mntA/ro.txt", 'x') } | Should -Throw
        Dismount-ReflinkVolume -MountPoint $mntA
        Test-ReflinkVolume -Path $volA -Quiet | Should -BeTrue
    }

    It 'writes an error record, not a terminating one, for a volume that is mounted' {
        Mount-ReflinkVolume -Path $volB -MountPoint $mntB | Out-Null
        try {
            Test-ReflinkVolume -Path $volB -Quiet -ErrorVariable e -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $e[0].CategoryInfo.Category | Should -Be 'ResourceUnavailable'
            $e[0].Exception.Message | Should -Match 'in use'
        }
        finally { Dismount-ReflinkVolume -MountPoint $mntB }
    }

    It 'writes an error record for a folder that is not a volume' {
        Test-ReflinkVolume -Path $root -ErrorVariable e -ErrorAction SilentlyContinue
        $e[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }
}

Describe 'A full volume' {
    It 'is an error record for a plain copy onto it, and leaves no partial file' {
        New-ReflinkVolume -Path "$root/small.wrl" -Size 16MB | Out-Null
        New-Item -ItemType Directory "$root/mnt-small" | Out-Null
        Mount-ReflinkVolume -Path $volA -MountPoint $mntA | Out-Null
        Mount-ReflinkVolume -Path "$root/small.wrl" -MountPoint "$root/mnt-small" | Out-Null
        try {
            # Fresh bytes for every chunk: a chunk written again would be shared (copy recognition), not fill the volume.
            $chunk = [byte[]]::new(1MB); $random = New-Object Random 3
            $stream = [IO.File]::OpenWrite("$root/mnt-small/fill.bin")
            try { while ($true) { $random.NextBytes($chunk); $stream.Write($chunk, 0, $chunk.Length); $stream.Flush() } } catch [IO.IOException] { } finally { try { $stream.Dispose() } catch [IO.IOException] { } }
            (Get-ReflinkVolume -MountPoint "$root/mnt-small").Free | Should -BeLessThan 256KB
            Copy-ReflinkItem -Path "$mntA/tree/big.bin" -Destination "$root/mnt-small/big.bin" -Fallback -ErrorVariable e -ErrorAction SilentlyContinue
            $e.Count | Should -Be 1
            $e[0].CategoryInfo.Category | Should -Be 'WriteError'
            Test-Path "$root/mnt-small/big.bin" | Should -BeFalse
            @(Get-ChildItem -Force "$root/mnt-small" -Filter '*.reflink-tmp').Count | Should -Be 0
        }
        finally {
            Dismount-ReflinkVolume -MountPoint "$root/mnt-small"
            Dismount-ReflinkVolume -MountPoint $mntA
        }
        Test-ReflinkVolume -Path "$root/small.wrl" -Quiet | Should -BeTrue
    }

    It 'is free to open again as soon as Dismount-ReflinkVolume returns, after many writes' {
        Mount-ReflinkVolume -Path $volB -MountPoint $mntB | Out-Null
        New-Item -ItemType Directory "$mntB/many" | Out-Null
        $data = [byte[]]::new(16KB)
        for ($i = 0; $i -lt 2000; $i++) { [IO.File]::WriteAllBytes("$mntB/many/f$i", $data) }
        Dismount-ReflinkVolume -MountPoint $mntB
        Test-ReflinkVolume -Path $volB -Quiet | Should -BeTrue
    }
}

Describe 'New-ReflinkVolume' {
    It 'creates nothing with -WhatIf and a volume with its options otherwise' {
        New-ReflinkVolume -Path "$root/new.wrl" -WhatIf
        Test-Path "$root/new.wrl" | Should -BeFalse
        $v = New-ReflinkVolume -Path "$root/new.wrl" -Size 128MB -BlockSize 8KB -CaseSensitive -Label gamma
        $v.Capacity | Should -Be 128MB
        $v.BlockSize | Should -Be 8KB
        $v.CaseSensitive | Should -BeTrue
        $v.Label | Should -Be 'gamma'
        Test-ReflinkVolume -Path "$root/new.wrl" -Quiet | Should -BeTrue
    }

    It 'writes an error record for a bad block size and creates nothing' {
        New-ReflinkVolume -Path "$root/bad.wrl" -BlockSize 3000 -ErrorVariable e -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $e[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        Test-Path "$root/bad.wrl/meta.db" | Should -BeFalse
    }
}
