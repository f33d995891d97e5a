namespace Wuerstchen.Tests.IO;

/// <summary>Locates the committed IO test fixtures (tests/Wuerstchen.Tests/IO/Fixtures) from the repo root.</summary>
public static class Fixtures
{
    private static readonly Lazy<string> _root = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Wuerstchen.sln")))
                return Path.Combine(dir.FullName, "tests", "Wuerstchen.Tests", "IO", "Fixtures");
        }
        throw new DirectoryNotFoundException("Repo root (Wuerstchen.sln) not found above " + AppContext.BaseDirectory);
    });

    public static string Path_(params string[] parts) => Path.Combine([_root.Value, .. parts]);
}
