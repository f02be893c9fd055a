<#
.SYNOPSIS
Installs hnsbridge, the CNI plugin for Windows L2Bridge networks, and its network config on a node.

.DESCRIPTION
Puts hnsbridge.exe into the CNI bin directory and writes the node's conflist into the CNI conf
directory, the two places containerd's CRI plugin looks (bin_dir and conf_dir).

The conflist is produced by the installed binary itself ("hnsbridge.exe conflist ...") from the
parameters below, written to a temporary file, and checked with "hnsbridge.exe validate --strict"
before it is moved into place with an atomic replace. A config the plugin would refuse is never
installed.

Every file that is replaced is kept as <file>.bak. If any step fails, the files are put back as they
were. Running the script again with the same parameters changes nothing and says so. What was
installed is recorded in <BinDir>\hnsbridge.install.json; -Uninstall removes exactly those files
(unless they were changed since) and, for the conflist, puts back the .bak copy when it is another
plugin's config (an older hnsbridge config is not restored: it would point containerd at a plugin
that is no longer there).

Nothing else is touched: no service is restarted, the HNS network and the IPAM store stay as they
are, other files in the conf directory are left alone (a warning names any that containerd would
load before this one). -WhatIf shows what would change.

Exit code 0 on success, 1 on failure (with the plugin's own message).

.PARAMETER PodSubnet
This node's pod subnet (the node's podCIDR), for example 10.244.1.0/24. Passed as --pod-subnet.

.PARAMETER Gateway
The bridge gateway address (the host vNIC on the L2Bridge network that pods route through).
Default: subnet base + 2, for example 10.244.1.2. Passed as --gateway.

.PARAMETER ClusterCidr
The cluster's pod network, for example 10.244.0.0/16; traffic to it is not NATed. Give two values
for dual-stack. Passed as --cluster-cidr.

.PARAMETER ServiceCidr
The service range, for example 10.96.0.0/12; routed through the host. Give two values for
dual-stack. Passed as --service-cidr.

.PARAMETER NodeSubnet
The subnet of the nodes themselves, for example 192.168.1.0/24; traffic to it is not NATed.
Passed as --node-subnet.

.PARAMETER Adapter
The host network adapter the L2Bridge network binds to, for example Ethernet. Default: HNS
chooses. Passed as --adapter.

.PARAMETER ManagementIp
The node's own IP address; pods reach the host through it. Passed as --management-ip.

.PARAMETER Dns
Cluster DNS server address(es), for example 10.96.0.10. Passed as --dns.

.PARAMETER DnsSearch
DNS search domains, for example svc.cluster.local, cluster.local. Passed as --dns-search.

.PARAMETER NetworkName
The network name: the HNS network's name and the IPAM store directory. Default k8s-pod-network.
Passed as --name.

.PARAMETER CniVersion
The conflist's cniVersion. Default 1.0.0, which containerd 1.7 reads; use 1.1.0 on containerd 2.x
to get CNI GC and STATUS. Passed as --cni-version.

.PARAMETER LogFile
Absolute path of the plugin's log file. Default C:\k\cni\logs\hnsbridge.log. Passed as --log-file.

.PARAMETER DataDir
Root of the IPAM store. Default C:\var\lib\cni\networks. Passed as --data-dir.

.PARAMETER Ipv6PodSubnet
This node's IPv6 pod subnet, for dual-stack, for example fd00:10:244:1::/64. Passed as
--ipv6-pod-subnet.

.PARAMETER Source
The hnsbridge.exe to install. Default: hnsbridge.exe next to this script, else ..\dist\hnsbridge.exe.

.PARAMETER BinDir
Where containerd runs CNI plugins from (bin_dir). Default C:\k\cni\bin.

.PARAMETER ConfDir
Where containerd reads network configs from (conf_dir). Default C:\etc\cni\net.d.

.PARAMETER ConfName
The conflist's file name. Default 10-hnsbridge.conflist. It must end in .conflist.

.PARAMETER Uninstall
Remove what the last install put in place (see the description) instead of installing.

.EXAMPLE
.\install.ps1 -PodSubnet 10.244.1.0/24 -ClusterCidr 10.244.0.0/16 -ServiceCidr 10.96.0.0/12 -NodeSubnet 192.168.1.0/24 -ManagementIp 192.168.1.10 -Adapter Ethernet -Dns 10.96.0.10 -DnsSearch svc.cluster.local,cluster.local

Installs C:\k\cni\bin\hnsbridge.exe and C:\etc\cni\net.d\10-hnsbridge.conflist.

.EXAMPLE
.\install.ps1 -PodSubnet 10.244.1.0/24 -ClusterCidr 10.244.0.0/16 -ServiceCidr 10.96.0.0/12 -WhatIf

Shows what would be installed or replaced, and checks the config, without changing anything.

.EXAMPLE
.\install.ps1 -PodSubnet 10.244.1.0/24 -Ipv6PodSubnet fd00:10:244:1::/64 -ClusterCidr 10.244.0.0/16,fd00:10:244::/56 -ServiceCidr 10.96.0.0/12,fd00:10:96::/112 -CniVersion 1.1.0

A dual-stack node on containerd 2.x.

.EXAMPLE
.\install.ps1 -Uninstall

Removes the binary and the conflist that the last install put in place.
#>
#Requires -Version 5.1
[CmdletBinding(SupportsShouldProcess = $true, DefaultParameterSetName = 'Install')]
param(
    [Parameter(ParameterSetName = 'Install', Mandatory = $true)]
    [string] $PodSubnet,

    [Parameter(ParameterSetName = 'Install')]
    [string] $Gateway,

    [Parameter(ParameterSetName = 'Install', Mandatory = $true)]
    [string[]] $ClusterCidr,

    [Parameter(ParameterSetName = 'Install', Mandatory = $true)]
    [string[]] $ServiceCidr,

    [Parameter(ParameterSetName = 'Install')]
    [string[]] $NodeSubnet,

    [Parameter(ParameterSetName = 'Install')]
    [string] $Adapter,

    [Parameter(ParameterSetName = 'Install')]
    [string] $ManagementIp,

    [Parameter(ParameterSetName = 'Install')]
    [string[]] $Dns,

    [Parameter(ParameterSetName = 'Install')]
    [string[]] $DnsSearch,

    [Parameter(ParameterSetName = 'Install')]
    [string] $NetworkName = 'k8s-pod-network',

    [Parameter(ParameterSetName = 'Install')]
    [string] $CniVersion = '1.0.0',

    [Parameter(ParameterSetName = 'Install')]
    [string] $LogFile,

    [Parameter(ParameterSetName = 'Install')]
    [string] $DataDir,

    [Parameter(ParameterSetName = 'Install')]
    [string] $Ipv6PodSubnet,

    [Parameter(ParameterSetName = 'Install')]
    [string] $Source,

    [string] $BinDir = 'C:\k\cni\bin',

    [string] $ConfDir = 'C:\etc\cni\net.d',

    [Parameter(ParameterSetName = 'Install')]
    [string] $ConfName = '10-hnsbridge.conflist',

    [Parameter(ParameterSetName = 'Uninstall', Mandatory = $true)]
    [switch] $Uninstall
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

# .NET calls (File.Replace, WriteAllText) resolve relative paths against the process directory, not
# PowerShell's current location: make both directories absolute first.
$BinDir = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($BinDir)
$ConfDir = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($ConfDir)
$ExeName = 'hnsbridge.exe'
$Target = Join-Path $BinDir $ExeName
$ManifestPath = Join-Path $BinDir 'hnsbridge.install.json'

function Get-Sha256([string] $Path) {
    if (Test-Path -LiteralPath $Path -PathType Leaf) { return (Get-FileHash -LiteralPath $Path -Algorithm SHA256).Hash }
    return $null
}

# Runs hnsbridge.exe and returns its exit code and output. Windows PowerShell turns a native
# command's stderr into error records, which $ErrorActionPreference = 'Stop' would make fatal, so
# the preference is relaxed for the call and the records are turned back into text.
function Invoke-Hnsbridge([string] $Exe, [string[]] $Arguments) {
    $saved = $ErrorActionPreference
    $ErrorActionPreference = 'Continue'
    try {
        $output = & $Exe @Arguments 2>&1 | ForEach-Object { "$_" }
        $code = $LASTEXITCODE
    } finally {
        $ErrorActionPreference = $saved
    }
    return [pscustomobject]@{ Code = $code; Output = (($output | Out-String).TrimEnd()) }
}

# The arguments of "hnsbridge.exe conflist": one flag per parameter (scripts test this pairing).
function Get-ConflistArguments([string] $OutputPath) {
    $a = @('conflist', '--pod-subnet', $PodSubnet, '--cluster-cidr', ($ClusterCidr -join ','), '--service-cidr', ($ServiceCidr -join ','), '--name', $NetworkName, '--cni-version', $CniVersion)
    if ($Gateway) { $a += @('--gateway', $Gateway) }
    if ($NodeSubnet) { $a += @('--node-subnet', ($NodeSubnet -join ',')) }
    if ($Adapter) { $a += @('--adapter', $Adapter) }
    if ($ManagementIp) { $a += @('--management-ip', $ManagementIp) }
    if ($Dns) { $a += @('--dns', ($Dns -join ',')) }
    if ($DnsSearch) { $a += @('--dns-search', ($DnsSearch -join ',')) }
    if ($LogFile) { $a += @('--log-file', $LogFile) }
    if ($DataDir) { $a += @('--data-dir', $DataDir) }
    if ($Ipv6PodSubnet) { $a += @('--ipv6-pod-subnet', $Ipv6PodSubnet) }
    $a += @('--output', $OutputPath)
    return , $a
}

function Resolve-Source {
    if ($Source) { return $Source }
    foreach ($candidate in @((Join-Path $PSScriptRoot $ExeName), (Join-Path (Join-Path (Split-Path $PSScriptRoot -Parent) 'dist') $ExeName))) {
        if (Test-Path -LiteralPath $candidate -PathType Leaf) { return $candidate }
    }
    throw "no $ExeName next to this script or in ..\dist; pass -Source <path to hnsbridge.exe>"
}

# containerd loads the first config file by name (max_conf_num = 1): name any that would win.
function Write-ConfDirWarnings([string] $ConfPath) {
    if (-not (Test-Path -LiteralPath $ConfDir)) { return }
    $others = Get-ChildItem -LiteralPath $ConfDir -File | Where-Object { @('.conf', '.conflist', '.json') -contains $_.Extension.ToLowerInvariant() -and $_.FullName -ne $ConfPath } | Sort-Object Name
    foreach ($f in $others) {
        if ([string]::CompareOrdinal($f.Name, (Split-Path $ConfPath -Leaf)) -lt 0) {
            Write-Warning "containerd loads the first config in $ConfDir by name: $($f.Name) comes before $(Split-Path $ConfPath -Leaf); move it out of $ConfDir"
        }
    }
}

function Write-ContainerdReminder {
    $snippet = Join-Path (Join-Path (Split-Path $PSScriptRoot -Parent) 'conf') 'containerd-config.toml'
    Write-Host ''
    Write-Host 'containerd must point at these directories (CRI section of C:\Program Files\containerd\config.toml):'
    if (Test-Path -LiteralPath $snippet) { Write-Host "  see $snippet" }
    Write-Host '  [plugins."io.containerd.grpc.v1.cri".cni]        # containerd 1.7; 2.x: [plugins."io.containerd.cri.v1.runtime".cni] with bin_dirs = [...]'
    Write-Host "    bin_dir = `"$($BinDir.Replace('\', '\\'))`""
    Write-Host "    conf_dir = `"$($ConfDir.Replace('\', '\\'))`""
    Write-Host '    max_conf_num = 1'
    Write-Host 'then: Restart-Service containerd. Check the node later with: hnsbridge.exe inspect'
}

# The manifest records each file this script wrote, with its hash, so -Uninstall removes exactly
# those (and not a file someone changed or put there by other means).
function Read-Manifest {
    $m = @{}
    if (Test-Path -LiteralPath $ManifestPath) {
        $doc = Get-Content -LiteralPath $ManifestPath -Raw | ConvertFrom-Json
        foreach ($p in $doc.PSObject.Properties) { $m[$p.Name] = @{ path = [string]$p.Value.path; sha256 = [string]$p.Value.sha256 } }
    }
    return $m
}

function Save-Manifest([hashtable] $Manifest) {
    $doc = [ordered]@{}
    foreach ($k in @('binary', 'conflist')) { if ($Manifest.ContainsKey($k)) { $doc[$k] = [ordered]@{ path = $Manifest[$k].path; sha256 = $Manifest[$k].sha256 } } }
    [System.IO.File]::WriteAllText($ManifestPath, ($doc | ConvertTo-Json -Depth 4), (New-Object System.Text.UTF8Encoding($false)))
}

# Move-Item does not replace an existing file on every PowerShell version: remove it first.
function Set-FileFrom([string] $From, [string] $To) {
    Remove-Item -LiteralPath $To -Force -ErrorAction SilentlyContinue
    Move-Item -LiteralPath $From -Destination $To
}

function Install-Hnsbridge {
    if (-not $ConfName.ToLowerInvariant().EndsWith('.conflist')) { throw "-ConfName must end in .conflist (containerd reads .conf files as a single plugin), got $ConfName" }
    $src = Resolve-Source
    $confPath = Join-Path $ConfDir $ConfName
    $work = Join-Path ([System.IO.Path]::GetTempPath()) ('hnsbridge-install-' + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $work | Out-Null
    $done = @{ Binary = $false; BinaryBak = $false; Conf = $false; ConfBak = $false }
    $changed = $false
    try {
        # 1. The binary. A running hnsbridge.exe cannot be overwritten but can be renamed, so the old
        #    one becomes .bak and the new one is renamed into place.
        if ((Get-Sha256 $src) -ne (Get-Sha256 $Target)) {
            if ($PSCmdlet.ShouldProcess($Target, "install $src")) {
                New-Item -ItemType Directory -Force -Path $BinDir | Out-Null
                Copy-Item -LiteralPath $src -Destination "$Target.new" -Force
                if (Test-Path -LiteralPath $Target) {
                    Set-FileFrom $Target "$Target.bak"
                    $done.BinaryBak = $true
                }
                Move-Item -LiteralPath "$Target.new" -Destination $Target
                $done.Binary = $true
                $changed = $true
                Write-Host "installed $Target"
            }
        } else {
            Write-Host "$Target is already this version"
        }
        # Under -WhatIf nothing was copied: let the source binary do the checking.
        $exe = if ((Get-Sha256 $Target) -eq (Get-Sha256 $src)) { $Target } else { $src }

        # 2. Generate into a temporary file (same name, so validate sees the .conflist extension).
        $tmp = Join-Path $work $ConfName
        $gen = Invoke-Hnsbridge $exe (Get-ConflistArguments $tmp)
        if ($gen.Code -ne 0) { throw "hnsbridge.exe conflist refused the parameters:`n$($gen.Output)" }

        # 3. Validate it BEFORE it goes anywhere near the conf directory.
        $check = Invoke-Hnsbridge $exe @('validate', '--strict', $tmp)
        if ($check.Code -ne 0) { throw "the generated conflist does not pass hnsbridge.exe validate:`n$($check.Output)" }
        Write-Host $check.Output

        # 4. Put it in place atomically: stage it next to the target (".new" is not an extension
        #    containerd loads), then File.Replace swaps it in and keeps the old file as .bak.
        if ((Get-Sha256 $tmp) -eq (Get-Sha256 $confPath)) {
            Write-Host "$confPath is already this config"
        } elseif ($PSCmdlet.ShouldProcess($confPath, 'write the conflist')) {
            New-Item -ItemType Directory -Force -Path $ConfDir | Out-Null
            Copy-Item -LiteralPath $tmp -Destination "$confPath.new" -Force
            if (Test-Path -LiteralPath $confPath) {
                [System.IO.File]::Replace("$confPath.new", $confPath, "$confPath.bak")
                $done.ConfBak = $true
            } else {
                Move-Item -LiteralPath "$confPath.new" -Destination $confPath
            }
            $done.Conf = $true
            $changed = $true
            Write-Host "installed $confPath"
        }
        Write-ConfDirWarnings $confPath

        if ($changed) {
            $manifest = Read-Manifest
            if ($done.Binary) { $manifest['binary'] = @{ path = $Target; sha256 = (Get-Sha256 $Target) } }
            if ($done.Conf) { $manifest['conflist'] = @{ path = $confPath; sha256 = (Get-Sha256 $confPath) } }
            Save-Manifest $manifest
        } elseif (-not $WhatIfPreference) {
            Write-Host 'no change: hnsbridge is already installed with this config'
        }
    } catch {
        # Put everything back as it was before this run.
        if ($done.Conf) {
            if ($done.ConfBak) { Set-FileFrom "$confPath.bak" $confPath } else { Remove-Item -LiteralPath $confPath -Force -ErrorAction SilentlyContinue }
        }
        Remove-Item -LiteralPath "$confPath.new" -Force -ErrorAction SilentlyContinue
        if ($done.Binary) {
            if ($done.BinaryBak) { Set-FileFrom "$Target.bak" $Target } else { Remove-Item -LiteralPath $Target -Force -ErrorAction SilentlyContinue }
        }
        Remove-Item -LiteralPath "$Target.new" -Force -ErrorAction SilentlyContinue
        Write-Host 'install failed; the previous files are back in place'
        throw
    } finally {
        Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue
    }
    Write-ContainerdReminder
}

function Uninstall-Hnsbridge {
    $manifest = Read-Manifest
    if ($manifest.Count -eq 0) {
        Write-Host "nothing to uninstall: no $ManifestPath (was hnsbridge installed with this script and this -BinDir?)"
        return
    }
    foreach ($kind in @('conflist', 'binary')) {
        if (-not $manifest.ContainsKey($kind)) { continue }
        $path = $manifest[$kind].path
        if (-not (Test-Path -LiteralPath $path)) { Write-Host "$path is already gone"; continue }
        if ((Get-Sha256 $path) -ne $manifest[$kind].sha256) {
            Write-Warning "$path was changed after it was installed; left in place"
            continue
        }
        if (-not $PSCmdlet.ShouldProcess($path, 'remove')) { continue }
        Remove-Item -LiteralPath $path -Force
        Write-Host "removed $path"
        $bak = "$path.bak"
        if (-not (Test-Path -LiteralPath $bak)) { continue }
        # An earlier hnsbridge (the binary, or a conflist naming it) is not brought back: that would
        # leave containerd pointing at hnsbridge. Another plugin's config is.
        $earlierHnsbridge = ($kind -eq 'binary') -or ((Get-Content -LiteralPath $bak -Raw) -match '"type"\s*:\s*"hnsbridge"')
        if ($earlierHnsbridge) {
            Remove-Item -LiteralPath $bak -Force
            Write-Host "removed $bak (an earlier hnsbridge)"
        } else {
            Set-FileFrom $bak $path
            Write-Host "restored $path from $bak"
        }
    }
    if ($PSCmdlet.ShouldProcess($ManifestPath, 'remove')) { Remove-Item -LiteralPath $ManifestPath -Force }
    Write-Host 'uninstalled. The HNS network and the IPAM store are left as they are.'
}

if ($Uninstall) { Uninstall-Hnsbridge } else { Install-Hnsbridge }
