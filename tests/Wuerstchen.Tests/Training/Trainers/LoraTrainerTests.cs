using Wuerstchen.Models;
using Wuerstchen.Models.Lora;
using Wuerstchen.Training.Trainers;
using static Wuerstchen.Tests.Training.Trainers.TrainerFixtures;

namespace Wuerstchen.Tests.Training.Trainers;

public class LoraTrainerTests
{
    [Fact]
    public void TrainsAdaptersOnlyAndWritesALoadableLoraFile()
    {
        using var data = Shapes(4);
        var output = Path.Combine(data.Path, "out");
        var priorFolder = Path.Combine(PriorFolder, "prior");
        using (var objective = new LoraObjective(WuerstchenPrior.FromPretrained(priorFolder), TextConditioning.FromPipelineFolder(PriorFolder, train: false),
                   new TestCompressor(8, 8), rank: 2, alpha: null, seed: 3))
        {
            Assert.All(objective.Parameters, p => Assert.Contains(".lora_", p.Name));
            Assert.Equal(2 * 4 * 2, objective.Parameters.Count);             // A and B × 4 projections × 2 attention blocks
            new Trainer(objective, Open(Path.Combine(data.Path, "data")), new TrainerOptions
            {
                OutputFolder = output, Steps = 2, BatchSize = 2, LearningRate = 1e-2, Seed = 1,
            }).Run();
        }

        Assert.False(Directory.Exists(Path.Combine(output, "prior")));      // the base model is not copied
        using var prior = WuerstchenPrior.FromPretrained(priorFolder);
        var before = Weights(prior);
        using var lora = PriorLora.Load(prior, Path.Combine(output, LoraObjective.FileName));
        Assert.Equal(2, lora.Rank);
        Assert.Contains(lora.NamedParameters(), p => p.Name.EndsWith("lora_B.weight", StringComparison.Ordinal) && p.Value.ToArray().Any(v => v != 0));
        AssertBitIdentical(before, Weights(prior));                         // loading attaches adapters, the base stays
    }
}
