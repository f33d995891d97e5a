using Wuerstchen.Models.Nn;
using Wuerstchen.Models.Weights;
using Wuerstchen.Tensors;

namespace Wuerstchen.Models.EfficientNet;

/// <summary>
/// torch <c>nn.BatchNorm2d(c, eps, momentum=0.1)</c> (affine, tracking running statistics) on NCHW:
/// <c>weight</c>, <c>bias</c> (learned) and the <c>running_mean</c> / <c>running_var</c> buffers.
/// In evaluation mode it normalises with the running statistics. In training mode it normalises with the batch's
/// own statistics (biased variance), differentiably, and then moves the running statistics towards them:
/// <c>running = (1 − momentum)·running + momentum·batch</c>, with the <b>unbiased</b> batch variance, as torch does.
/// </summary>
internal sealed class BatchNorm : Module
{
    public const float Momentum = 0.1f;

    private readonly string _name;

    public Tensor Weight { get; }
    public Tensor Bias { get; }
    public Tensor RunningMean { get; }
    public Tensor RunningVar { get; }
    public float Eps { get; }

    public BatchNorm(WeightSource ws, int channels, float eps)
    {
        _name = ws.Prefix.TrimEnd('.');
        Eps = eps;
        Weight = LoadWeight(ws, "weight", channels);
        Bias = LoadWeight(ws, "bias", channels);
        RunningMean = LoadWeight(ws, "running_mean", channels);
        RunningVar = LoadWeight(ws, "running_var", channels);
    }

    public Tensor Forward(Tensor x, bool training) =>
        training ? ForwardTraining(x) : Ops.BatchNorm2d(x, RunningMean, RunningVar, Weight, Bias, Eps);

    private Tensor ForwardTraining(Tensor x)
    {
        int c = RunningMean.Size(0);
        if (x.Rank != 4 || x.Size(1) != c)
            throw new ArgumentException($"{_name}: BatchNorm2d({c}) expects NCHW input with {c} channels, got {x}.", nameof(x));
        // torch refuses a single value per channel too: its variance would be 0/0 in the running-statistics update.
        if (x.Numel / c < 2)
            throw new ArgumentException($"{_name}: training-mode BatchNorm needs more than one value per channel, got input {x}.", nameof(x));
        return Ops.BatchNorm2dTrain(x, Weight, Bias, RunningMean, RunningVar, Momentum, Eps);
    }
}
