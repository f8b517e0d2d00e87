using WinReflink.Fuse.Tests.Infrastructure;

namespace WinReflink.Fuse.Tests.Lifecycle;

/// <summary>
/// `winreflink mount` run by an ordinary user goes through fusermount3, which passes the /dev/fuse fd
/// back over a socket, and `winreflink unmount` through `fusermount3 -u`. This machine's /dev/fuse is
/// root-only, so the test runs in a private mount namespace with its own world-usable /dev/fuse node,
/// as a distribution's udev would make it.
/// </summary>
public sealed class UnprivilegedMountTests
{
    [Test]
    public void NobodyMountsUsesAndUnmountsThroughFusermount3()
    {
        Programs.Tool("fusermount3");
        using var area = TestArea.Create();
        string home = area.PathOf("nobody");
        Directory.CreateDirectory(Path.Combine(home, "mnt"));
        ProcessRunner.RunOk("chown", "-R", "65534:65534", home);
        string volume = Path.Combine(home, "volume.wrl"), mnt = Path.Combine(home, "mnt"), output = Path.Combine(home, "mount.out");
        string mount = $"'{Programs.DotnetHost}' '{Programs.Dll}'";
        string script = $$"""
            set -e
            mount -t tmpfs tmpfs /dev
            mknod -m 666 /dev/fuse c 10 229
            mknod -m 666 /dev/null c 1 3
            as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups env HOME='{{home}}' DOTNET_CLI_HOME='{{home}}' "$@"; }
            as_nobody {{mount}} mount '{{volume}}' '{{mnt}}' > '{{output}}' 2>&1 &
            pid=$!
            for i in $(seq 1 600); do grep -q '^mounted ' '{{output}}' && break; kill -0 $pid 2>/dev/null || break; sleep 0.1; done
            grep -q '^mounted ' '{{output}}' || { echo "mount failed:"; cat '{{output}}'; exit 1; }
            echo "options: $(grep ' {{mnt}} ' /proc/self/mountinfo)"
            as_nobody sh -c "echo hello > '{{mnt}}/f' && cp '{{mnt}}/f' '{{mnt}}/g' && echo \"content: \$(cat '{{mnt}}/g')\" && stat -c 'owner: %u:%g' '{{mnt}}/g'"
            as_nobody {{mount}} unmount '{{mnt}}' && echo "unmount: ok"
            wait $pid && echo "mount exit: 0"
            cat '{{output}}'
            """;
        var r = ProcessRunner.Run("unshare", ["--mount", "--fork", "sh", "-c", script], TimeSpan.FromMinutes(3));
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.Multiple(() =>
        {
            Assert.That(r.Stdout, Does.Contain("fuse.winreflink").And.Contain("user_id=65534"), "mounted by fusermount3 for nobody: " + r.Stdout);
            Assert.That(r.Stdout, Does.Contain("content: hello"));
            Assert.That(r.Stdout, Does.Contain("owner: 65534:65534"));
            Assert.That(r.Stdout, Does.Contain("unmount: ok"));
            Assert.That(r.Stdout, Does.Contain("mount exit: 0"));
            Assert.That(r.Stdout, Does.Contain("volume closed cleanly"));
        });
        VolumeCheck.AssertClean(volume);
    }
}
