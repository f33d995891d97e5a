namespace Wuerstchen.Tests;

/// <summary>Locates the read-only reference data in ../shared/reference (relative to the repo root).</summary>
public static class Reference
{
    private static readonly Lazy<string> _root = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Wuerstchen.sln")))
            {
                var shared = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "reference"));
                if (!Directory.Exists(shared))
                    throw new DirectoryNotFoundException($"Reference data not found at {shared} (expected ../shared/reference beside the repo).");
                return shared;
            }
        }
        throw new DirectoryNotFoundException("Repo root (Wuerstchen.sln) not found above " + AppContext.BaseDirectory);
    });

    /// <summary>Absolute path of ../shared/reference.</summary>
    public static string Root => _root.Value;

    public static string Path_(params string[] parts) => Path.Combine([Root, .. parts]);
    public static string Vectors(string file) => Path.Combine(Root, "vectors", file);
}
