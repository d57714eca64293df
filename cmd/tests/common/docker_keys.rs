//! docker 27's key sets (Engine API 1.47) that the parity matrix holds
//! skiff's JSON to: inspect of containers and images, `--format json` of
//! the lists, version and info.

/// `docker inspect CONTAINER`: the top-level keys.
#[rustfmt::skip]
pub const CONTAINER_KEYS: &[&str] = &[
    "Id", "Created", "Path", "Args", "State", "Image", "ResolvConfPath", "HostnamePath",
    "HostsPath", "LogPath", "Name", "RestartCount", "Driver", "Platform", "MountLabel",
    "ProcessLabel", "AppArmorProfile", "ExecIDs", "HostConfig", "GraphDriver", "Mounts",
    "Config", "NetworkSettings",
];
#[rustfmt::skip]
pub const STATE_KEYS: &[&str] = &[
    "Status", "Running", "Paused", "Restarting", "OOMKilled", "Dead", "Pid", "ExitCode", "Error",
    "StartedAt", "FinishedAt",
];
#[rustfmt::skip]
pub const CONFIG_KEYS: &[&str] = &[
    "Hostname", "Domainname", "User", "AttachStdin", "AttachStdout", "AttachStderr", "Tty",
    "OpenStdin", "StdinOnce", "Env", "Cmd", "Image", "Volumes", "WorkingDir", "Entrypoint",
    "OnBuild", "Labels",
];
#[rustfmt::skip]
pub const HOST_CONFIG_KEYS: &[&str] = &[
    "Binds", "ContainerIDFile", "LogConfig", "NetworkMode", "PortBindings", "RestartPolicy",
    "AutoRemove", "VolumeDriver", "VolumesFrom", "ConsoleSize", "CapAdd", "CapDrop",
    "CgroupnsMode", "Dns", "DnsOptions", "DnsSearch", "ExtraHosts", "GroupAdd", "IpcMode",
    "Cgroup", "Links", "OomScoreAdj", "PidMode", "Privileged", "PublishAllPorts",
    "ReadonlyRootfs", "SecurityOpt", "UTSMode", "UsernsMode", "ShmSize", "Isolation",
    "CpuShares", "Memory", "NanoCpus", "CgroupParent", "BlkioWeight", "BlkioWeightDevice",
    "BlkioDeviceReadBps", "BlkioDeviceWriteBps", "BlkioDeviceReadIOps", "BlkioDeviceWriteIOps",
    "CpuPeriod", "CpuQuota", "CpuRealtimePeriod", "CpuRealtimeRuntime", "CpusetCpus",
    "CpusetMems", "Devices", "DeviceCgroupRules", "DeviceRequests", "MemoryReservation",
    "MemorySwap", "MemorySwappiness", "OomKillDisable", "PidsLimit", "Ulimits", "CpuCount",
    "CpuPercent", "IOMaximumIOps", "IOMaximumBandwidth", "MaskedPaths", "ReadonlyPaths",
];
/// `docker image inspect` (Descriptor only comes with the containerd store).
#[rustfmt::skip]
pub const IMAGE_KEYS: &[&str] = &[
    "Id", "RepoTags", "RepoDigests", "Parent", "Comment", "Created", "DockerVersion", "Author",
    "Config", "Architecture", "Os", "Size", "GraphDriver", "RootFS", "Metadata",
];
/// `--format json` of ps, images and history: one object per line.
#[rustfmt::skip]
pub const PS_JSON_KEYS: &[&str] = &[
    "Command", "CreatedAt", "ID", "Image", "Labels", "LocalVolumes", "Mounts", "Names",
    "Networks", "Ports", "RunningFor", "Size", "State", "Status",
];
#[rustfmt::skip]
pub const IMAGES_JSON_KEYS: &[&str] = &[
    "Containers", "CreatedAt", "CreatedSince", "Digest", "ID", "Repository", "SharedSize", "Size",
    "Tag", "UniqueSize", "VirtualSize",
];
#[rustfmt::skip]
pub const HISTORY_JSON_KEYS: &[&str] = &["Comment", "CreatedAt", "CreatedBy", "CreatedSince", "ID", "Size"];
#[rustfmt::skip]
pub const VERSION_KEYS: &[&str] = &["Version", "ApiVersion", "GitCommit", "Os", "Arch", "BuildTime"];
#[rustfmt::skip]
pub const INFO_KEYS: &[&str] = &[
    "ID", "Containers", "ContainersRunning", "ContainersPaused", "ContainersStopped", "Images",
    "Driver", "MemTotal", "NCPU", "OSType", "Architecture", "KernelVersion", "OperatingSystem",
    "ServerVersion", "DockerRootDir", "Name", "LoggingDriver", "CgroupDriver", "CgroupVersion",
];
/// `docker inspect CONTAINER`'s NetworkSettings.
#[rustfmt::skip]
pub const NETWORK_SETTINGS_KEYS: &[&str] = &[
    "Bridge", "SandboxID", "SandboxKey", "Ports", "HairpinMode", "LinkLocalIPv6Address",
    "LinkLocalIPv6PrefixLen", "SecondaryIPAddresses", "SecondaryIPv6Addresses", "EndpointID",
    "Gateway", "GlobalIPv6Address", "GlobalIPv6PrefixLen", "IPAddress", "IPPrefixLen",
    "IPv6Gateway", "MacAddress", "Networks",
];
