using System.Globalization;
using System.Text.RegularExpressions;

namespace Wuerstchen.Training.Checkpoints;

/// <summary>
/// The checkpoints of a training run: <c>&lt;output&gt;/checkpoint-&lt;step&gt;/</c>, each a complete folder (the
/// component folders, <c>model_index.json</c> where the run produces a pipeline, and
/// <see cref="TrainingStateFileName"/>). A checkpoint is assembled in a hidden temporary sibling and renamed into
/// place only when every file is on disk, so a checkpoint folder that exists is complete; a run killed while
/// writing leaves at most a temporary folder, which the next run deletes.
/// </summary>
public static partial class CheckpointFolder
{
    public const string TrainingStateFileName = "training_state.safetensors";
    private const string Prefix = "checkpoint-";
    private const string TempPrefix = ".tmp-";

    /// <summary>The folder of the checkpoint after <paramref name="step"/> updates.</summary>
    public static string PathFor(string output, long step) =>
        Path.Combine(output, Prefix + step.ToString("D6", CultureInfo.InvariantCulture));

    /// <summary>Complete checkpoints in <paramref name="output"/>, oldest first, with their step.</summary>
    public static IReadOnlyList<(long Step, string Path)> List(string output)
    {
        if (!Directory.Exists(output)) return [];
        var found = new List<(long, string)>();
        foreach (var dir in Directory.EnumerateDirectories(output))
        {
            var m = Name().Match(System.IO.Path.GetFileName(dir));
            if (m.Success && File.Exists(System.IO.Path.Combine(dir, TrainingStateFileName)))
                found.Add((long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), dir));
        }
        return found.OrderBy(f => f.Item1).ToList();
    }

    /// <summary>The newest complete checkpoint, or null.</summary>
    public static (long Step, string Path)? Latest(string output)
    {
        var all = List(output);
        return all.Count == 0 ? null : all[^1];
    }

    /// <summary>
    /// Builds a folder at <paramref name="destination"/> atomically: <paramref name="fill"/> writes into a fresh
    /// temporary sibling, which is then renamed to <paramref name="destination"/>. An existing destination is
    /// moved aside first and deleted afterwards, so at every moment either the old or the new folder is whole.
    /// </summary>
    public static void WriteAtomically(string destination, Action<string> fill)
    {
        var full = System.IO.Path.GetFullPath(destination);
        var parent = System.IO.Path.GetDirectoryName(full) ?? throw new ArgumentException($"'{destination}' has no parent folder.", nameof(destination));
        Directory.CreateDirectory(parent);
        string name = System.IO.Path.GetFileName(full);
        string temp = System.IO.Path.Combine(parent, $"{TempPrefix}{name}.{Guid.NewGuid():N}");
        Directory.CreateDirectory(temp);
        try
        {
            fill(temp);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
        string? old = null;
        if (Directory.Exists(full))
        {
            old = System.IO.Path.Combine(parent, $"{TempPrefix}{name}.old.{Guid.NewGuid():N}");
            Directory.Move(full, old);
        }
        Directory.Move(temp, full);
        if (old is not null) TryDelete(old);
    }

    /// <summary>
    /// Moves every file and folder of <paramref name="staged"/> into <paramref name="destination"/>, each replacing
    /// its namesake whole (a component folder is swapped by renames, never merged or half-written).
    /// </summary>
    public static void PublishInto(string destination, string staged)
    {
        Directory.CreateDirectory(destination);
        foreach (var entry in Directory.EnumerateFileSystemEntries(staged).ToArray())
        {
            string name = System.IO.Path.GetFileName(entry);
            string target = System.IO.Path.Combine(destination, name);
            if (File.Exists(entry))
            {
                File.Move(entry, target, overwrite: true);
                continue;
            }
            string? old = null;
            if (Directory.Exists(target))
            {
                old = System.IO.Path.Combine(destination, $"{TempPrefix}{name}.old.{Guid.NewGuid():N}");
                Directory.Move(target, old);
            }
            Directory.Move(entry, target);
            if (old is not null) TryDelete(old);
        }
    }

    /// <summary>Deletes the temporary folders a killed run may have left behind.</summary>
    public static void DeleteTemporaries(string output)
    {
        if (!Directory.Exists(output)) return;
        foreach (var dir in Directory.EnumerateDirectories(output, TempPrefix + "*")) TryDelete(dir);
    }

    /// <summary>Deletes all but the newest <paramref name="keep"/> checkpoints (keep ≤ 0: keeps all).</summary>
    public static void Prune(string output, int keep)
    {
        if (keep <= 0 || !Directory.Exists(output)) return;
        var all = List(output);
        for (int i = 0; i < all.Count - keep; i++) TryDelete(all[i].Path);
    }

    private static void TryDelete(string dir)
    {
        try { Directory.Delete(dir, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    [GeneratedRegex(@"^checkpoint-(\d+)$")]
    private static partial Regex Name();
}
