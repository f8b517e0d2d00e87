@{
    RootModule           = 'WinReflink.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = '6f0d7f6e-2b1c-4c55-9a57-3f6f3f1c2a71'
    Author               = 'The WinReflink project'
    Description          = 'Copy-on-write volumes of WinReflink: mount them, copy files and trees on them as reflinks, read what sharing saves.'
    CompatiblePSEditions = @('Core')
    PowerShellVersion    = '7.6'
    FormatsToProcess     = @('WinReflink.Format.ps1xml')
    CmdletsToExport      = @(
        'Get-ReflinkVolume'
        'Mount-ReflinkVolume'
        'Dismount-ReflinkVolume'
        'New-ReflinkVolume'
        'Copy-ReflinkItem'
        'Get-ReflinkExtent'
        'Test-ReflinkVolume'
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
}
