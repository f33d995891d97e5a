using Wuerstchen.IO;

namespace Wuerstchen.Tests.IO;

public class AtomicFileTests
{
    [Fact]
    public void CreatesAndReplacesFiles()
    {
        using var dir = new TempFolder();
        var path = dir.File("a.bin");
        AtomicFile.WriteAllBytes(path, new byte[] { 1, 2, 3 });
        Assert.Equal([1, 2, 3], File.ReadAllBytes(path));
        AtomicFile.Write(path, s => s.Write([4, 5]));
        Assert.Equal([4, 5], File.ReadAllBytes(path));
        Assert.Equal(["a.bin"], dir.Entries());
    }

    [Fact]
    public void FailedWrite_LeavesNoFile_AndKeepsTheOldOne()
    {
        using var dir = new TempFolder();
        var fresh = dir.File("fresh.bin");
        Assert.Throws<IOException>(() => AtomicFile.Write(fresh, s => { s.Write(new byte[100_000]); throw new IOException("disk full"); }));
        Assert.Empty(dir.Entries());

        var existing = dir.File("existing.bin");
        File.WriteAllBytes(existing, [9]);
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(existing, s => { s.Write([1, 2]); throw new InvalidOperationException(); }));
        Assert.Equal([9], File.ReadAllBytes(existing));
        Assert.Equal(["existing.bin"], dir.Entries());
    }

    [Fact]
    public void MissingFolder_IsReportedByName()
    {
        using var dir = new TempFolder();
        var e = Assert.Throws<DirectoryNotFoundException>(() => AtomicFile.WriteAllBytes(dir.File("no/such/a.bin"), new byte[1]));
        Assert.Contains("no/such", e.Message.Replace('\\', '/'));
    }
}
