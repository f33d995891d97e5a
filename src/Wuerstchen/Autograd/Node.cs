using Wuerstchen.Tensors;

namespace Wuerstchen.Autograd;

/// <summary>
/// Computes the gradients of an op's inputs from the gradient of its output.
/// <paramref name="gradOutput"/> is contiguous and has the output's shape. Return one entry per input, in
/// the order the inputs were recorded: null where <see cref="Node.NeedsGrad"/> is false (or the gradient is
/// structurally zero), otherwise a tensor of that input's shape. A returned tensor may be one the function
/// allocated (the engine takes ownership), <paramref name="gradOutput"/> itself, or a view of either; never a
/// saved tensor or another caller's tensor.
/// </summary>
public delegate Tensor?[] BackwardFn(Tensor gradOutput, Node node);

/// <summary>A <see cref="BackwardFn"/> that receives the op's non-tensor arguments (geometry, scalars) as <paramref name="state"/>.</summary>
public delegate Tensor?[] BackwardFn<TState>(Tensor gradOutput, Node node, TState state);

/// <summary>
/// One recorded op in the autograd graph: where each input's gradient goes (an earlier node, a leaf, or
/// nowhere), the tensors saved for backward, and the backward function. Built by <see cref="Tape.Record"/>.
/// </summary>
public sealed class Node
{
    /// <summary>Where one input's gradient flows: into an earlier node, into a leaf's Grad, or nowhere.</summary>
    internal readonly record struct Edge(Node? Function, Tensor? Leaf)
    {
        public bool IsNone => Function is null && Leaf is null;
    }

    private readonly BackwardFn _backward;
    private readonly int[][] _inputShapes;
    private Tensor?[] _saved;
    private int[] _savedVersions;
    private bool _released;

    internal readonly Edge[] Edges;
    internal readonly int[] OutputShape;

    /// <summary>The op's name, used in error messages (e.g. "Conv2d").</summary>
    public string Name { get; }

    internal Node(string name, Tensor output, ReadOnlySpan<Tensor?> inputs, ReadOnlySpan<Tensor?> saved, BackwardFn backward)
    {
        Name = name;
        _backward = backward;
        OutputShape = output.Shape.ToArray();
        Edges = new Edge[inputs.Length];
        _inputShapes = new int[inputs.Length][];
        for (int i = 0; i < inputs.Length; i++)
        {
            var t = inputs[i];
            _inputShapes[i] = t is null ? [] : t.Shape.ToArray();
            if (t is null) continue;
            if (t.GradFn is not null) Edges[i] = new Edge(t.GradFn, null);
            else if (t.RequiresGrad) Edges[i] = new Edge(null, t);
        }
        _saved = new Tensor?[saved.Length];
        _savedVersions = new int[saved.Length];
        for (int i = 0; i < saved.Length; i++)
        {
            var t = saved[i];
            if (t is null) continue;
            // The model may dispose this tensor right after the forward op; the extra reference keeps the
            // memory valid until the tape releases it (after backward, or when the tape is disposed).
            t.Storage.Retain();
            _saved[i] = t;
            _savedVersions[i] = TensorVersions.Of(t.Storage);
        }
    }

    /// <summary>Number of inputs recorded (including those that need no gradient).</summary>
    public int InputCount => Edges.Length;

    /// <summary>Whether input <paramref name="input"/> needs a gradient (it is a leaf that requires grad, or was produced by a recorded op).</summary>
    public bool NeedsGrad(int input) => !Edges[input].IsNone;

    /// <summary>The shape input <paramref name="input"/> had when the op ran (the shape its gradient must have).</summary>
    public ReadOnlySpan<int> InputShape(int input) => _inputShapes[input];

    /// <summary>
    /// Saved tensor <paramref name="index"/>. Throws when it was not saved, when the graph was already freed by
    /// a backward pass or by disposing the tape, or when the tensor was modified in place since it was saved
    /// (the gradient would silently be wrong otherwise).
    /// </summary>
    public Tensor Saved(int index)
    {
        if (_released)
            throw new InvalidOperationException($"{Name}: the saved tensors were freed (a backward pass already ran through this graph, or its tape was disposed). Pass retainGraph: true to backpropagate twice.");
        var t = _saved[index] ?? throw new InvalidOperationException($"{Name}: saved tensor {index} was not saved at record time.");
        int now = TensorVersions.Of(t.Storage);
        if (now != _savedVersions[index])
            throw new InvalidOperationException($"{Name}: saved tensor {index} ({t}) was modified in place after the op recorded it (version {_savedVersions[index]} → {now}); its gradient cannot be computed. Use the out-of-place op in training code.");
        return t;
    }

    internal Tensor?[] Apply(Tensor gradOutput)
    {
        var grads = _backward(gradOutput, this);
        if (grads.Length != Edges.Length)
            throw new InvalidOperationException($"{Name}: backward returned {grads.Length} gradients for {Edges.Length} inputs.");
        for (int i = 0; i < grads.Length; i++)
        {
            var g = grads[i];
            if (g is null) continue;
            if (!g.Shape.SequenceEqual(_inputShapes[i]))
                throw new InvalidOperationException($"{Name}: gradient of input {i} has shape {g}, expected [{string.Join(", ", _inputShapes[i])}].");
        }
        return grads;
    }

    internal bool IsReleased => _released;

    /// <summary>Drops the references to the saved tensors (idempotent).</summary>
    internal void Release()
    {
        if (_released) return;
        _released = true;
        foreach (var t in _saved) t?.Storage.Release();
        _saved = [];
        _savedVersions = [];
    }

    public override string ToString() => $"{Name}Backward";
}
