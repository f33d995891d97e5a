using Wuerstchen.Tests.IO;
using Wuerstchen.Training.Checkpoints;

namespace Wuerstchen.Tests.Training.Checkpoints;

public class CheckpointFolderTests
{
    private static void Complete(string folder) => File.WriteAllText(Path.Combine(folder, CheckpointFolder.TrainingStateFileName), "state");

    [Fact]
    public void OnlyCompleteCheckpointsCountAndTheNewestWins()
    {
        using var temp = new TempFolder();
        CheckpointFolder.WriteAtomically(CheckpointFolder.PathFor(temp.Path, 20), Complete);
        CheckpointFolder.WriteAtomically(CheckpointFolder.PathFor(temp.Path, 100), Complete);
        Directory.CreateDirectory(CheckpointFolder.PathFor(temp.Path, 300));          // no training state: not a checkpoint
        Directory.CreateDirectory(Path.Combine(temp.Path, "checkpoint-abc"));
        Assert.Equal([20L, 100L], CheckpointFolder.List(temp.Path).Select(c => c.Step));
        Assert.Equal(100, CheckpointFolder.Latest(temp.Path)!.Value.Step);
        Assert.EndsWith("checkpoint-000100", CheckpointFolder.Latest(temp.Path)!.Value.Path);
        CheckpointFolder.Prune(temp.Path, keep: 1);
        Assert.Equal([100L], CheckpointFolder.List(temp.Path).Select(c => c.Step));
    }

    [Fact]
    public void AFailedWriteLeavesTheOldFolderWholeAndNoTemporary()
    {
        using var temp = new TempFolder();
        var target = Path.Combine(temp.Path, "checkpoint-000001");
        CheckpointFolder.WriteAtomically(target, f => { Complete(f); File.WriteAllText(Path.Combine(f, "a.txt"), "old"); });
        Assert.Throws<InvalidOperationException>(() => CheckpointFolder.WriteAtomically(target, f =>
        {
            File.WriteAllText(Path.Combine(f, "a.txt"), "half");
            throw new InvalidOperationException("disk full");
        }));
        Assert.Equal("old", File.ReadAllText(Path.Combine(target, "a.txt")));
        Assert.Equal(["checkpoint-000001"], temp.Entries());

        CheckpointFolder.WriteAtomically(target, f => File.WriteAllText(Path.Combine(f, "a.txt"), "new"));
        Assert.Equal("new", File.ReadAllText(Path.Combine(target, "a.txt")));
        Assert.Equal(["checkpoint-000001"], temp.Entries());                       // the old folder was removed
    }

    [Fact]
    public void TemporariesOfAKilledRunAreDeletedAndPublishReplacesWholeFolders()
    {
        using var temp = new TempFolder();
        Directory.CreateDirectory(Path.Combine(temp.Path, ".tmp-checkpoint-000004.abc"));
        Directory.CreateDirectory(Path.Combine(temp.Path, "prior"));
        File.WriteAllText(Path.Combine(temp.Path, "prior", "stale.txt"), "x");
        CheckpointFolder.DeleteTemporaries(temp.Path);
        Assert.Equal(["prior"], temp.Entries());

        var staged = Path.Combine(temp.Path, ".tmp-export");
        Directory.CreateDirectory(Path.Combine(staged, "prior"));
        File.WriteAllText(Path.Combine(staged, "prior", "config.json"), "{}");
        File.WriteAllText(Path.Combine(staged, "model_index.json"), "{}");
        CheckpointFolder.PublishInto(temp.Path, staged);
        Assert.Equal([".tmp-export", "model_index.json", "prior"], temp.Entries());
        Assert.Equal(["config.json"], Directory.GetFiles(Path.Combine(temp.Path, "prior")).Select(Path.GetFileName));
    }
}
