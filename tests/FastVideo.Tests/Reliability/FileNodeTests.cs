using System.Net.Sockets;
using FastVideo.Media;
using NUnit.Framework;

namespace FastVideo.Tests.Reliability;

public class FileNodeTests
{
    [Test]
    public void ClassifiesEveryKindOfNode()
    {
        var dir = Directory.CreateTempSubdirectory("fv-node-").FullName;
        try
        {
            var file = Path.Combine(dir, "f.txt");
            File.WriteAllText(file, "x");
            Assert.That(FileNode.Kind(file), Is.EqualTo(FileNodeKind.Regular));
            Assert.That(FileNode.Kind(dir), Is.EqualTo(FileNodeKind.Directory));
            Assert.That(FileNode.Kind(Path.Combine(dir, "none")), Is.EqualTo(FileNodeKind.Missing));
            Assert.That(FileNode.Kind(""), Is.EqualTo(FileNodeKind.Missing));
            if (!OperatingSystem.IsLinux()) return;
            Assert.That(FileNode.Kind("/dev/null"), Is.EqualTo(FileNodeKind.CharDevice));
            var link = Path.Combine(dir, "zero");
            File.CreateSymbolicLink(link, "/dev/zero");
            Assert.That(FileNode.Kind(link), Is.EqualTo(FileNodeKind.CharDevice));
            Assert.That(FileNode.Kind(link, followLinks: false), Is.EqualTo(FileNodeKind.Symlink));
            var dangling = Path.Combine(dir, "dangling");
            File.CreateSymbolicLink(dangling, Path.Combine(dir, "nowhere"));
            Assert.That(FileNode.Kind(dangling), Is.EqualTo(FileNodeKind.Missing));
            Assert.That(FileNode.Kind(dangling, followLinks: false), Is.EqualTo(FileNodeKind.Symlink));
            var fifo = Path.Combine(dir, "fifo");
            Assert.That(System.Diagnostics.Process.Start("mkfifo", fifo)!.WaitForExit(10_000), Is.True);
            Assert.That(FileNode.Kind(fifo), Is.EqualTo(FileNodeKind.Fifo));
            var sock = Path.Combine(dir, "s.sock");
            using (var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
            {
                s.Bind(new UnixDomainSocketEndPoint(sock));
                Assert.That(FileNode.Kind(sock), Is.EqualTo(FileNodeKind.Socket));
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
